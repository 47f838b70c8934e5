"""The staff pages for leads under /manage/: lead list, detail, reassign, lookup."""
