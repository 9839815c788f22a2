DROP TABLE report_annuals;
