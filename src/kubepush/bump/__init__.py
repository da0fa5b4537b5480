"""The bump stage: plan image updates, edit files, commit, push and open or update a pull request."""
