-- The catalogue: reference data (regions, heritage items) and workshops, workers, products.
-- Kept in step with ../../sqlite/ under the same version name.

CREATE TABLE regions (
    code TEXT PRIMARY KEY NOT NULL CHECK (char_length(code) = 6),
    name_zh TEXT NOT NULL,
    name_pinyin TEXT NOT NULL,
    short_name_zh TEXT NOT NULL,
    level TEXT NOT NULL CHECK (level IN ('province', 'prefecture', 'county')),
    parent_code TEXT REFERENCES regions (code),
    sanqu_sanzhou BOOLEAN NOT NULL DEFAULT FALSE,
    sanqu_group TEXT,
    key_support_area BOOLEAN NOT NULL DEFAULT FALSE,
    poverty_county BOOLEAN NOT NULL DEFAULT FALSE,
    poverty_exit_year INTEGER
);
CREATE INDEX regions_parent ON regions (parent_code);

-- The 832 national poverty counties of the 2014 list, as listed (one has no current code).
CREATE TABLE poverty_counties (
    id BIGSERIAL PRIMARY KEY,
    name_in_list TEXT NOT NULL,
    region_code TEXT REFERENCES regions (code),
    province_code TEXT NOT NULL REFERENCES regions (code),
    prefecture_code TEXT REFERENCES regions (code),
    exit_year INTEGER,
    notes TEXT
);

CREATE TABLE heritage_items (
    id BIGINT PRIMARY KEY NOT NULL,
    code TEXT NOT NULL UNIQUE,
    list_number TEXT,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    category TEXT NOT NULL,
    level TEXT NOT NULL,
    batch TEXT,
    declared_region_zh TEXT,
    revitalization_catalogue TEXT,
    sources TEXT NOT NULL,
    notes TEXT
);

CREATE TABLE heritage_item_regions (
    heritage_item_id BIGINT NOT NULL REFERENCES heritage_items (id),
    region_code TEXT NOT NULL REFERENCES regions (code),
    PRIMARY KEY (heritage_item_id, region_code)
);

CREATE TABLE workshops (
    id BIGSERIAL PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    county_code TEXT NOT NULL REFERENCES regions (code),
    prefecture_code TEXT REFERENCES regions (code),
    province_code TEXT NOT NULL REFERENCES regions (code),
    story_zh TEXT NOT NULL DEFAULT '',
    story_en TEXT NOT NULL DEFAULT '',
    cert_number TEXT,
    cert_authority TEXT,
    cert_issued_on DATE,
    cert_last_confirmed_on DATE,
    commission_bp INTEGER NOT NULL DEFAULT 1000 CHECK (commission_bp BETWEEN 0 AND 10000),
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    featured BOOLEAN NOT NULL DEFAULT FALSE,
    is_demo BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX workshops_county ON workshops (county_code);
CREATE INDEX workshops_prefecture ON workshops (prefecture_code);
CREATE INDEX workshops_province ON workshops (province_code);

CREATE TABLE workshop_heritage_items (
    workshop_id BIGINT NOT NULL REFERENCES workshops (id),
    heritage_item_id BIGINT NOT NULL REFERENCES heritage_items (id),
    PRIMARY KEY (workshop_id, heritage_item_id)
);

CREATE TABLE workers (
    id BIGSERIAL PRIMARY KEY,
    workshop_id BIGINT NOT NULL REFERENCES workshops (id),
    name_zh TEXT NOT NULL,
    name_latin TEXT NOT NULL,
    story_zh TEXT NOT NULL DEFAULT '',
    story_en TEXT NOT NULL DEFAULT '',
    photo_path TEXT,
    consent_name BOOLEAN NOT NULL DEFAULT FALSE,
    consent_photo BOOLEAN NOT NULL DEFAULT FALSE,
    consent_story BOOLEAN NOT NULL DEFAULT FALSE,
    consent_updated_at TIMESTAMP NOT NULL,
    inheritor_level TEXT NOT NULL,
    home_county_code TEXT REFERENCES regions (code),
    joined_on DATE NOT NULL,
    left_on DATE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX workers_workshop ON workers (workshop_id);

-- Sensitive: never shown publicly. Each row is one verified status for a span of time.
CREATE TABLE worker_household_statuses (
    id BIGSERIAL PRIMARY KEY,
    worker_id BIGINT NOT NULL REFERENCES workers (id),
    status TEXT NOT NULL CHECK (status IN ('registered_poor', 'lifted_out', 'monitored', 'not_poor')),
    valid_from DATE NOT NULL,
    valid_until DATE,
    verified_by TEXT NOT NULL,
    verified_on DATE NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX worker_household_statuses_worker ON worker_household_statuses (worker_id, valid_from);

CREATE TABLE products (
    id BIGSERIAL PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    trace_code TEXT NOT NULL UNIQUE,
    workshop_id BIGINT NOT NULL REFERENCES workshops (id),
    heritage_item_id BIGINT NOT NULL REFERENCES heritage_items (id),
    title_zh TEXT NOT NULL,
    title_en TEXT NOT NULL,
    description_zh TEXT NOT NULL DEFAULT '',
    description_en TEXT NOT NULL DEFAULT '',
    materials_zh TEXT NOT NULL DEFAULT '',
    materials_en TEXT NOT NULL DEFAULT '',
    price_fen BIGINT NOT NULL CHECK (price_fen > 0),
    currency TEXT NOT NULL DEFAULT 'CNY',
    stock BIGINT NOT NULL DEFAULT 0 CHECK (stock >= 0),
    made_to_order BOOLEAN NOT NULL DEFAULT FALSE,
    lead_time_days INTEGER CHECK (lead_time_days IS NULL OR lead_time_days > 0),
    wage_rule TEXT NOT NULL CHECK (wage_rule IN ('share_of_net', 'piece_rate')),
    wage_bp INTEGER CHECK (wage_bp IS NULL OR wage_bp BETWEEN 0 AND 10000),
    piece_rate_fen BIGINT CHECK (piece_rate_fen IS NULL OR piece_rate_fen >= 0),
    status TEXT NOT NULL CHECK (status IN ('draft', 'in_review', 'active', 'suspended', 'archived')),
    featured BOOLEAN NOT NULL DEFAULT FALSE,
    sold_count BIGINT NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK ((wage_rule = 'share_of_net' AND wage_bp IS NOT NULL) OR (wage_rule = 'piece_rate' AND piece_rate_fen IS NOT NULL)),
    CHECK (made_to_order = FALSE OR lead_time_days IS NOT NULL)
);
CREATE INDEX products_workshop ON products (workshop_id);
-- One index per storefront sort order.
CREATE INDEX products_status_price ON products (status, price_fen);
CREATE INDEX products_status_featured ON products (status, featured, created_at);
CREATE INDEX products_status_created ON products (status, created_at);
CREATE INDEX products_status_sold ON products (status, sold_count);
CREATE INDEX products_heritage ON products (heritage_item_id);

CREATE TABLE product_makers (
    product_id BIGINT NOT NULL REFERENCES products (id),
    worker_id BIGINT NOT NULL REFERENCES workers (id),
    role TEXT NOT NULL,
    share_bp INTEGER NOT NULL CHECK (share_bp BETWEEN 1 AND 10000),
    PRIMARY KEY (product_id, worker_id)
);
CREATE INDEX product_makers_worker ON product_makers (worker_id);

CREATE TABLE product_images (
    id BIGSERIAL PRIMARY KEY,
    product_id BIGINT NOT NULL REFERENCES products (id),
    position INTEGER NOT NULL,
    path TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    alt_zh TEXT NOT NULL DEFAULT '',
    alt_en TEXT NOT NULL DEFAULT '',
    UNIQUE (product_id, position)
);
