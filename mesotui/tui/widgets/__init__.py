"""Reusable widgets: the patient list, the course timeline, labelled form fields."""
