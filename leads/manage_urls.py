"""Channel-manager and internal-sales pages of the leads app, under /manage/ (namespace "manage")."""

urlpatterns: list = []
