"""Cloud guard: per-device switches that keep devices off their vendors' clouds.

dns/ is the library (DNS filter clients for AdGuard Home and Pi-hole, the vendor catalog,
policies), plain async Python without Home Assistant. Next to it, the Home Assistant side:
coordinator.py (apply the switches, read proof back), proof.py (what the lookups show),
forms.py (what the forms accept), errors.py (a filter's failures as translated errors) and
the entities of guarded devices.
"""
