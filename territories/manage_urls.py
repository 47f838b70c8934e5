"""Channel-manager and internal-sales pages of the territories app, under /manage/ (namespace "manage")."""

urlpatterns: list = []
