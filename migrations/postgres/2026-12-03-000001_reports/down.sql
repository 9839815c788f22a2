DROP INDEX workers_employment;
DROP TABLE report_exports;
DROP TABLE report_months;
