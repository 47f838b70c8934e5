app_name = "dealers"
urlpatterns: list = []
