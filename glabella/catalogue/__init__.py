"""The clinic's shared vocabulary: products, areas, label data, screening words and the
urgent advice. Pure Python: imported by every app, it imports none."""
