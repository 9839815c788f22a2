DROP TABLE training_attendances;
DROP TABLE training_sessions;
