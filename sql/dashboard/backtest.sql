-- dashboard/backtest: every row of mart_backtest (grain: that view's; the dashboard filters
-- by scenario when the view has the column).
SELECT * FROM mart_backtest;
