"""The staff side of the portal under /manage/: each app contributes its pages."""

from dealers import manage_urls as dealers_pages
from dealers import performance_urls
from leads import dashboard_urls, imports_urls
from leads import manage_urls as leads_pages
from territories import manage_urls as territories_pages

app_name = "manage"
urlpatterns = [
    *leads_pages.urlpatterns,
    *imports_urls.urlpatterns,
    *dealers_pages.urlpatterns,
    *performance_urls.urlpatterns,
    *dashboard_urls.urlpatterns,
    *territories_pages.urlpatterns,
]
