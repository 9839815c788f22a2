//! The diesel schema, written by hand for both backends (see `migrations/`): SQLite's
//! INTEGER ids are declared `BigInt` like PostgreSQL's BIGSERIAL.

diesel::table! {
    regions (code) {
        code -> Text,
        name_zh -> Text,
        name_pinyin -> Text,
        short_name_zh -> Text,
        level -> Text,
        parent_code -> Nullable<Text>,
        sanqu_sanzhou -> Bool,
        sanqu_group -> Nullable<Text>,
        key_support_area -> Bool,
        poverty_county -> Bool,
        poverty_exit_year -> Nullable<Integer>,
    }
}

diesel::table! {
    poverty_counties (id) {
        id -> BigInt,
        name_in_list -> Text,
        region_code -> Nullable<Text>,
        province_code -> Text,
        prefecture_code -> Nullable<Text>,
        exit_year -> Nullable<Integer>,
        notes -> Nullable<Text>,
    }
}

diesel::table! {
    heritage_items (id) {
        id -> BigInt,
        code -> Text,
        list_number -> Nullable<Text>,
        name_zh -> Text,
        name_en -> Text,
        category -> Text,
        level -> Text,
        batch -> Nullable<Text>,
        declared_region_zh -> Nullable<Text>,
        revitalization_catalogue -> Nullable<Text>,
        sources -> Text,
        notes -> Nullable<Text>,
    }
}

diesel::table! {
    heritage_item_regions (heritage_item_id, region_code) {
        heritage_item_id -> BigInt,
        region_code -> Text,
    }
}

diesel::table! {
    workshops (id) {
        id -> BigInt,
        slug -> Text,
        name_zh -> Text,
        name_en -> Text,
        county_code -> Text,
        prefecture_code -> Nullable<Text>,
        province_code -> Text,
        story_zh -> Text,
        story_en -> Text,
        cert_number -> Nullable<Text>,
        cert_authority -> Nullable<Text>,
        cert_issued_on -> Nullable<Date>,
        cert_last_confirmed_on -> Nullable<Date>,
        commission_bp -> Integer,
        status -> Text,
        featured -> Bool,
        is_demo -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        payout_account_enc -> Nullable<Text>,
        shipping_flat_fen -> BigInt,
        free_shipping_over_fen -> Nullable<BigInt>,
        payout_rail -> Text,
        stripe_account_id -> Nullable<Text>,
        accepts_custom -> Bool,
    }
}

diesel::table! {
    workshop_heritage_items (workshop_id, heritage_item_id) {
        workshop_id -> BigInt,
        heritage_item_id -> BigInt,
    }
}

diesel::table! {
    workers (id) {
        id -> BigInt,
        workshop_id -> BigInt,
        name_zh -> Text,
        name_latin -> Text,
        story_zh -> Text,
        story_en -> Text,
        photo_path -> Nullable<Text>,
        consent_name -> Bool,
        consent_photo -> Bool,
        consent_story -> Bool,
        consent_updated_at -> Timestamp,
        inheritor_level -> Text,
        home_county_code -> Nullable<Text>,
        joined_on -> Date,
        left_on -> Nullable<Date>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        id_number_enc -> Nullable<Text>,
        bank_account_enc -> Nullable<Text>,
    }
}

diesel::table! {
    worker_household_statuses (id) {
        id -> BigInt,
        worker_id -> BigInt,
        status -> Text,
        valid_from -> Date,
        valid_until -> Nullable<Date>,
        verified_by -> Text,
        verified_on -> Date,
        created_at -> Timestamp,
    }
}

diesel::table! {
    products (id) {
        id -> BigInt,
        slug -> Text,
        trace_code -> Text,
        workshop_id -> BigInt,
        heritage_item_id -> BigInt,
        title_zh -> Text,
        title_en -> Text,
        description_zh -> Text,
        description_en -> Text,
        materials_zh -> Text,
        materials_en -> Text,
        price_fen -> BigInt,
        currency -> Text,
        stock -> BigInt,
        made_to_order -> Bool,
        lead_time_days -> Nullable<Integer>,
        wage_rule -> Text,
        wage_bp -> Nullable<Integer>,
        piece_rate_fen -> Nullable<BigInt>,
        status -> Text,
        featured -> Bool,
        sold_count -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        category -> Text,
        province_code -> Nullable<Text>,
        review_note -> Nullable<Text>,
        rating_count -> BigInt,
        rating_sum -> BigInt,
        designer_id -> Nullable<BigInt>,
        credit_workstation_id -> Nullable<BigInt>,
        designer_bp -> Integer,
    }
}

diesel::table! {
    product_options (product_id, position) {
        product_id -> BigInt,
        position -> Integer,
        name_zh -> Text,
        name_en -> Text,
    }
}

diesel::table! {
    product_variants (id) {
        id -> BigInt,
        product_id -> BigInt,
        sku -> Text,
        value1_zh -> Text,
        value1_en -> Text,
        value2_zh -> Nullable<Text>,
        value2_en -> Nullable<Text>,
        price_fen -> BigInt,
        stock -> BigInt,
        lead_time_days -> Nullable<Integer>,
        position -> Integer,
        active -> Bool,
        sold_count -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    product_makers (product_id, worker_id) {
        product_id -> BigInt,
        worker_id -> BigInt,
        role -> Text,
        share_bp -> Integer,
    }
}

diesel::table! {
    product_images (id) {
        id -> BigInt,
        product_id -> BigInt,
        position -> Integer,
        path -> Text,
        width -> Integer,
        height -> Integer,
        alt_zh -> Text,
        alt_en -> Text,
        variant_widths -> Text,
    }
}

diesel::table! {
    outbox (id) {
        id -> BigInt,
        topic -> Text,
        item_key -> Text,
        attempts -> Integer,
        available_at -> Timestamp,
        last_error -> Nullable<Text>,
        done_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        claimed_by -> Nullable<Text>,
        txid -> BigInt,
    }
}

diesel::table! {
    leases (name) {
        name -> Text,
        holder -> Text,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        email -> Text,
        password_hash -> Text,
        display_name -> Text,
        lang -> Text,
        role -> Text,
        workshop_id -> Nullable<BigInt>,
        region_code -> Nullable<Text>,
        is_demo -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    auth_tokens (token_hash) {
        token_hash -> Text,
        user_id -> BigInt,
        kind -> Text,
        label -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    one_time_tokens (token_hash) {
        token_hash -> Text,
        purpose -> Text,
        user_id -> Nullable<BigInt>,
        email -> Text,
        role -> Nullable<Text>,
        workshop_id -> Nullable<BigInt>,
        region_code -> Nullable<Text>,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    login_failures (id) {
        id -> BigInt,
        account -> Text,
        ip -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    audit_log (seq) {
        seq -> BigInt,
        at -> Timestamp,
        actor_id -> Nullable<BigInt>,
        action -> Text,
        subject -> Text,
        detail -> Text,
        prev_hash -> Text,
        hash -> Text,
    }
}

diesel::table! {
    emails (id) {
        id -> BigInt,
        to_addr -> Text,
        lang -> Text,
        kind -> Text,
        subject -> Text,
        body_text -> Text,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    carts (id) {
        id -> BigInt,
        token_hash -> Nullable<Text>,
        user_id -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    cart_items (cart_id, product_id, variant_key) {
        cart_id -> BigInt,
        product_id -> BigInt,
        variant_key -> BigInt,
        quantity -> Integer,
        added_at -> Timestamp,
    }
}

diesel::table! {
    orders (id) {
        id -> BigInt,
        number -> Text,
        user_id -> BigInt,
        idempotency_key -> Text,
        request_digest -> Text,
        status -> Text,
        payment_method -> Text,
        currency -> Text,
        items_fen -> BigInt,
        shipping_fen -> BigInt,
        total_fen -> BigInt,
        refunded_fen -> BigInt,
        buyer_email -> Text,
        lang -> Text,
        recipient -> Text,
        phone -> Text,
        country -> Text,
        region_code -> Nullable<Text>,
        region_text -> Text,
        address_line -> Text,
        postal_code -> Text,
        reserved_until -> Timestamp,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        paid_at -> Nullable<Timestamp>,
        cancelled_at -> Nullable<Timestamp>,
        cancel_reason -> Nullable<Text>,
        accepted_at -> Nullable<Timestamp>,
        reminded_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    shipments (id) {
        id -> BigInt,
        order_id -> BigInt,
        workshop_id -> BigInt,
        status -> Text,
        shipping_fen -> BigInt,
        shipping_refunded_fen -> BigInt,
        carrier -> Nullable<Text>,
        tracking_number -> Nullable<Text>,
        shipped_at -> Nullable<Timestamp>,
        delivered_at -> Nullable<Timestamp>,
        delivered_by -> Nullable<Text>,
        invoice_number -> Nullable<Text>,
    }
}

diesel::table! {
    order_lines (id) {
        id -> BigInt,
        order_id -> BigInt,
        shipment_id -> BigInt,
        product_id -> BigInt,
        workshop_id -> BigInt,
        heritage_item_id -> BigInt,
        county_code -> Text,
        title_zh -> Text,
        title_en -> Text,
        trace_code -> Text,
        unit_price_fen -> BigInt,
        quantity -> Integer,
        commission_bp -> Integer,
        wage_rule -> Text,
        wage_bp -> Nullable<Integer>,
        piece_rate_fen -> Nullable<BigInt>,
        made_to_order -> Bool,
        lead_time_days -> Nullable<Integer>,
        refunded_quantity -> Integer,
        refunded_fen -> BigInt,
        settled_at -> Nullable<Timestamp>,
        variant_id -> Nullable<BigInt>,
        sku -> Nullable<Text>,
        variant_zh -> Nullable<Text>,
        variant_en -> Nullable<Text>,
        designer_id -> Nullable<BigInt>,
        designer_bp -> Integer,
    }
}

diesel::table! {
    order_line_makers (order_line_id, worker_id) {
        order_line_id -> BigInt,
        worker_id -> BigInt,
        role -> Text,
        share_bp -> Integer,
    }
}

diesel::table! {
    payments (id) {
        id -> BigInt,
        order_id -> BigInt,
        provider -> Text,
        provider_ref -> Text,
        amount_fen -> BigInt,
        currency -> Text,
        status -> Text,
        confirmed_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    refunds (id) {
        id -> BigInt,
        order_id -> BigInt,
        order_line_id -> Nullable<BigInt>,
        shipment_id -> Nullable<BigInt>,
        quantity -> Integer,
        amount_fen -> BigInt,
        reason -> Text,
        status -> Text,
        provider_ref -> Nullable<Text>,
        requested_by -> Nullable<BigInt>,
        decided_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    webhook_events (event_id) {
        event_id -> Text,
        provider -> Text,
        kind -> Text,
        object_ref -> Text,
        received_at -> Timestamp,
    }
}

diesel::joinable!(cart_items -> carts (cart_id));
diesel::joinable!(cart_items -> products (product_id));
diesel::joinable!(orders -> users (user_id));
diesel::joinable!(shipments -> orders (order_id));
diesel::joinable!(journal_postings -> journal_entries (entry_id));
diesel::joinable!(journal_entries -> order_lines (order_line_id));
diesel::joinable!(journal_entries -> workshops (workshop_id));
diesel::joinable!(payout_entries -> payouts (payout_id));
diesel::joinable!(payout_entries -> journal_entries (entry_id));
diesel::joinable!(payouts -> workshops (workshop_id));
diesel::joinable!(wage_statements -> payouts (payout_id));
diesel::joinable!(wage_statements -> workers (worker_id));
diesel::joinable!(wage_disbursements -> wage_statements (statement_id));
diesel::joinable!(wage_acks -> wage_statements (statement_id));
diesel::joinable!(shipments -> workshops (workshop_id));
diesel::joinable!(order_lines -> orders (order_id));
diesel::joinable!(order_lines -> shipments (shipment_id));
diesel::joinable!(order_lines -> products (product_id));
diesel::joinable!(order_line_makers -> order_lines (order_line_id));
diesel::joinable!(order_line_makers -> workers (worker_id));
diesel::joinable!(payments -> orders (order_id));
diesel::joinable!(refunds -> orders (order_id));
diesel::joinable!(auth_tokens -> users (user_id));
diesel::joinable!(users -> workshops (workshop_id));
diesel::table! {
    journal_entries (id) {
        id -> BigInt,
        kind -> Text,
        order_line_id -> BigInt,
        workshop_id -> BigInt,
        refund_id -> Nullable<BigInt>,
        posted_at -> Timestamp,
        chain_seq -> Nullable<BigInt>,
        prev_hash -> Nullable<Text>,
        hash -> Nullable<Text>,
    }
}

diesel::table! {
    chain_heads (name) {
        name -> Text,
        seq -> BigInt,
        hash -> Text,
    }
}

diesel::table! {
    journal_postings (id) {
        id -> BigInt,
        entry_id -> BigInt,
        order_line_id -> BigInt,
        account -> Text,
        worker_id -> Nullable<BigInt>,
        household_status -> Nullable<Text>,
        amount_fen -> BigInt,
        designer_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    payouts (id) {
        id -> BigInt,
        workshop_id -> BigInt,
        period -> Text,
        cutoff -> Timestamp,
        amount_fen -> BigInt,
        wages_fen -> BigInt,
        currency -> Text,
        rail -> Text,
        status -> Text,
        reference -> Nullable<Text>,
        attempts -> Integer,
        last_error -> Nullable<Text>,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
        confirmed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    payout_entries (entry_id) {
        entry_id -> BigInt,
        payout_id -> BigInt,
    }
}

diesel::table! {
    wage_statements (id) {
        id -> BigInt,
        payout_id -> BigInt,
        worker_id -> BigInt,
        amount_fen -> BigInt,
        poor_household_fen -> BigInt,
        line_count -> Integer,
        acknowledged_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    wage_disbursements (statement_id) {
        statement_id -> BigInt,
        method -> Text,
        reference -> Text,
        paid_on -> Date,
        voucher_path -> Nullable<Text>,
        recorded_by -> Nullable<BigInt>,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    wage_acks (token_hash) {
        token_hash -> Text,
        statement_id -> BigInt,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    report_months (workshop_id, month, heritage_item_id) {
        workshop_id -> BigInt,
        month -> Text,
        heritage_item_id -> BigInt,
        gross_fen -> BigInt,
        commission_fen -> BigInt,
        wages_fen -> BigInt,
        registered_poor_fen -> BigInt,
        lifted_out_fen -> BigInt,
        monitored_fen -> BigInt,
        designer_fen -> BigInt,
    }
}

diesel::table! {
    report_exports (id) {
        id -> BigInt,
        region_code -> Nullable<Text>,
        workshop_id -> Nullable<BigInt>,
        period -> Text,
        heritage_item_id -> Nullable<BigInt>,
        upto_entry_id -> BigInt,
        digest -> Text,
        format -> Text,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    report_annuals (id) {
        id -> BigInt,
        region_code -> Nullable<Text>,
        year -> Integer,
        upto_entry_id -> BigInt,
        digest -> Text,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    organisations (id) {
        id -> BigInt,
        legal_name -> Text,
        credit_code -> Text,
        invoice_title -> Text,
        tax_number -> Text,
        invoice_address -> Text,
        created_by -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    organisation_members (organisation_id, user_id) {
        organisation_id -> BigInt,
        user_id -> BigInt,
        is_admin -> Bool,
        added_at -> Timestamp,
    }
}

diesel::table! {
    order_invoices (order_id) {
        order_id -> BigInt,
        organisation_id -> BigInt,
        title -> Text,
        tax_number -> Text,
        address -> Text,
    }
}

diesel::joinable!(order_invoices -> orders (order_id));
diesel::joinable!(order_invoices -> organisations (organisation_id));
diesel::joinable!(organisation_members -> organisations (organisation_id));
diesel::joinable!(organisation_members -> users (user_id));
diesel::joinable!(report_months -> workshops (workshop_id));
diesel::joinable!(heritage_item_regions -> heritage_items (heritage_item_id));
diesel::joinable!(workshop_heritage_items -> workshops (workshop_id));
diesel::joinable!(workshop_heritage_items -> heritage_items (heritage_item_id));
diesel::joinable!(workers -> workshops (workshop_id));
diesel::joinable!(worker_household_statuses -> workers (worker_id));
diesel::joinable!(products -> workshops (workshop_id));
diesel::joinable!(products -> heritage_items (heritage_item_id));
diesel::joinable!(product_makers -> products (product_id));
diesel::joinable!(product_options -> products (product_id));
diesel::joinable!(product_variants -> products (product_id));
diesel::joinable!(product_makers -> workers (worker_id));
diesel::joinable!(product_images -> products (product_id));

diesel::table! {
    storefront_changes (shard) {
        shard -> Integer,
        changes -> BigInt,
    }
}

diesel::table! {
    favourites (id) {
        id -> BigInt,
        user_id -> Nullable<BigInt>,
        browser_hash -> Nullable<Text>,
        product_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    workshop_follows (user_id, workshop_id) {
        user_id -> BigInt,
        workshop_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    reviews (id) {
        id -> BigInt,
        order_line_id -> BigInt,
        product_id -> BigInt,
        workshop_id -> BigInt,
        user_id -> BigInt,
        rating -> Integer,
        body -> Text,
        shown_as -> Text,
        author_name -> Nullable<Text>,
        province_code -> Nullable<Text>,
        helpful_count -> BigInt,
        reply_body -> Nullable<Text>,
        replied_by -> Nullable<BigInt>,
        replied_at -> Nullable<Timestamp>,
        hidden_by -> Nullable<BigInt>,
        hidden_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    review_photos (review_id, position) {
        review_id -> BigInt,
        position -> Integer,
        path -> Text,
        dir -> Text,
        width -> Integer,
        height -> Integer,
    }
}

diesel::table! {
    review_votes (review_id, user_id) {
        review_id -> BigInt,
        user_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    message_threads (id) {
        id -> BigInt,
        buyer_id -> BigInt,
        workshop_id -> BigInt,
        subject_kind -> Text,
        subject_id -> BigInt,
        last_message_at -> Timestamp,
        buyer_unread -> Bool,
        workshop_unread -> Bool,
        reported_by -> Nullable<BigInt>,
        reported_at -> Nullable<Timestamp>,
        report_reason -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    messages (id) {
        id -> BigInt,
        thread_id -> BigInt,
        author_id -> BigInt,
        from_side -> Text,
        body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    custom_orders (id) {
        id -> BigInt,
        buyer_id -> BigInt,
        workshop_id -> BigInt,
        status -> Text,
        description -> Text,
        budget_fen -> Nullable<BigInt>,
        wanted_by -> Nullable<Date>,
        lang -> Text,
        product_id -> Nullable<BigInt>,
        price_fen -> Nullable<BigInt>,
        lead_time_days -> Nullable<Integer>,
        quote_note -> Nullable<Text>,
        quoted_at -> Nullable<Timestamp>,
        accepted_at -> Nullable<Timestamp>,
        work_begun_at -> Nullable<Timestamp>,
        closed_at -> Nullable<Timestamp>,
        cancelled_by -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    custom_milestones (custom_order_id, position) {
        custom_order_id -> BigInt,
        position -> Integer,
        share_bp -> Integer,
        due -> Text,
        amount_fen -> BigInt,
        order_id -> Nullable<BigInt>,
        attempts -> Integer,
    }
}

diesel::table! {
    custom_progress (id) {
        id -> BigInt,
        custom_order_id -> BigInt,
        position -> Integer,
        photo_key -> Text,
        note -> Text,
        posted_by -> BigInt,
        posted_at -> Timestamp,
    }
}

diesel::table! {
    training_sessions (id) {
        id -> BigInt,
        workshop_id -> BigInt,
        programme -> Text,
        organiser_kind -> Text,
        organiser_name -> Text,
        starts_on -> Date,
        ends_on -> Date,
        hours -> Integer,
        recorded_by -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    training_attendances (session_id, worker_id) {
        session_id -> BigInt,
        worker_id -> BigInt,
    }
}

diesel::table! {
    workstations (id) {
        id -> BigInt,
        name_zh -> Text,
        name_en -> Text,
        region_code -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    designers (id) {
        id -> BigInt,
        workstation_id -> Nullable<BigInt>,
        name_zh -> Text,
        name_latin -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(favourites -> products (product_id));
diesel::joinable!(custom_milestones -> custom_orders (custom_order_id));
diesel::joinable!(custom_progress -> custom_orders (custom_order_id));
diesel::joinable!(reviews -> order_lines (order_line_id));
diesel::joinable!(review_photos -> reviews (review_id));
diesel::joinable!(workshop_follows -> workshops (workshop_id));
diesel::joinable!(messages -> message_threads (thread_id));
diesel::joinable!(message_threads -> workshops (workshop_id));
diesel::joinable!(training_attendances -> training_sessions (session_id));
diesel::joinable!(training_attendances -> workers (worker_id));
diesel::joinable!(training_sessions -> workshops (workshop_id));
diesel::joinable!(designers -> workstations (workstation_id));

diesel::allow_tables_to_appear_in_same_query!(
    organisations,
    organisation_members,
    order_invoices,
    report_annuals,
    regions,
    poverty_counties,
    heritage_items,
    heritage_item_regions,
    workshops,
    workshop_heritage_items,
    workers,
    worker_household_statuses,
    products,
    product_makers,
    product_options,
    product_variants,
    product_images,
    outbox,
    leases,
    users,
    auth_tokens,
    one_time_tokens,
    login_failures,
    audit_log,
    emails,
    carts,
    cart_items,
    orders,
    shipments,
    order_lines,
    order_line_makers,
    payments,
    refunds,
    webhook_events,
    journal_entries,
    journal_postings,
    payouts,
    payout_entries,
    wage_statements,
    wage_disbursements,
    wage_acks,
    report_months,
    report_exports,
    storefront_changes,
    favourites,
    workshop_follows,
    reviews,
    review_photos,
    review_votes,
    message_threads,
    messages,
    custom_orders,
    custom_milestones,
    custom_progress,
    training_sessions,
    training_attendances,
    workstations,
    designers,
);
