"""Realistic synthetic A&E data with its true expected value kept beside it."""
