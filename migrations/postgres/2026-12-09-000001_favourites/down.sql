DROP TABLE workshop_follows;
DROP TABLE favourites;
