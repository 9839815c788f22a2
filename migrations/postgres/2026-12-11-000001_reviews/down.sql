DROP TRIGGER reviews_storefront ON reviews;
ALTER TABLE products DROP COLUMN rating_sum;
ALTER TABLE products DROP COLUMN rating_count;
DROP TABLE review_votes;
DROP TABLE review_photos;
DROP TABLE reviews;
