"""The Yahoo edge: yfinance and the transports that feed it offline."""
