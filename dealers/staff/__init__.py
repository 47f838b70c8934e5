"""The staff pages for dealers under /manage/: list, create, edit, status and capacity."""
