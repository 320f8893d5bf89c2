"""The clinic's shared vocabulary: products, areas, label data, screening words and the urgent advice; pure Python, imported by every app, importing none."""  # noqa: E501
