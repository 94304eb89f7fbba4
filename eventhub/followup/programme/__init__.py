"""The programme's figures: its commitments and charts across a series of events, on the
programme page and as CSV or XLSX downloads."""
