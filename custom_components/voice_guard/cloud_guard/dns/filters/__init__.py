"""DNS filter clients behind one interface: AdGuard Home and Pi-hole v6."""
