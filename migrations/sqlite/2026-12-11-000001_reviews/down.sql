DROP TRIGGER reviews_storefront_delete;
DROP TRIGGER reviews_storefront_update;
DROP TRIGGER reviews_storefront_insert;
ALTER TABLE products DROP COLUMN rating_sum;
ALTER TABLE products DROP COLUMN rating_count;
DROP TABLE review_votes;
DROP TABLE review_photos;
DROP TABLE reviews;
