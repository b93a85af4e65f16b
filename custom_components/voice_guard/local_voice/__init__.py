"""Local voice: speech-to-text for Assist that stays at home.

engine/ is the speech engine (Vosk in-process or on a Wyoming server, end-pointing, phrase
mode), plain async Python without Home Assistant. Next to it, the Home Assistant side:
pipelines.py (the private pipeline and the cloud audit), satellites.py ("local voice only"),
phrase_mode.py (what this home can say), downloads.py (models), forms.py (what the forms
accept), errors.py (the engine's failures as translated errors), and the entities.
"""
