"""KPI workbench: track a year's socio-economic targets, forecast year-end, assess on-track status."""

__version__ = "0.1.0"
