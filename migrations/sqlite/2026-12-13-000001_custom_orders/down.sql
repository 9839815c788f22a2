DROP TABLE custom_progress;
DROP TABLE custom_milestones;
DROP TABLE custom_orders;
ALTER TABLE workshops DROP COLUMN accepts_custom;
