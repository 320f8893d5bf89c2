"""The house's date and time styles, per language (Django's FORMAT_MODULE_PATH)."""
