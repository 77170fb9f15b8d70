"""From the tidy frame to judgements: forecasts with intervals, backtests, status assessment,
and the pipeline that ties one assessment together."""
