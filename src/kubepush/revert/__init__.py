"""``kubepush revert``: a pull request that reverts a commit, so a rollback stays in Git."""
