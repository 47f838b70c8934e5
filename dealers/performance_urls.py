"""Channel-manager pages (performance, allocation, review), under /manage/ (namespace "manage")."""

urlpatterns: list = []
