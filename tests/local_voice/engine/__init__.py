"""Tests of the speech engine library, without Home Assistant."""
