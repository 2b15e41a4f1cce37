"""Git history and review: one branch, commit and pull request per batch; status, rollback."""
