"""The staff side of the portal under /manage/: each app contributes its pages."""

from dealers.performance import urls as performance_pages
from dealers.staff import urls as dealers_pages
from leads.dashboard import urls as dashboard_pages
from leads.imports import urls as imports_pages
from leads.staff import urls as leads_pages
from territories import urls as territories_pages

app_name = "manage"
urlpatterns = [
    *leads_pages.urlpatterns,
    *imports_pages.urlpatterns,
    *dealers_pages.urlpatterns,
    *performance_pages.urlpatterns,
    *dashboard_pages.urlpatterns,
    *territories_pages.urlpatterns,
]
