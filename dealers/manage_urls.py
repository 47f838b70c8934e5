"""Channel-manager and internal-sales pages of the dealers app, under /manage/ (namespace "manage")."""

urlpatterns: list = []
