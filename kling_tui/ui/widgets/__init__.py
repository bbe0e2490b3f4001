"""Small focused widgets and cell renderers of the dashboard."""
