"""Pull/merge-request clients for GitHub, GitLab and Gitea behind one interface.

Import the pieces from their modules (``kubepush.forges.factory.open_forge``,
``kubepush.forges.base.PullRequests``...); this package imports nothing heavy so
``kubepush --help`` stays fast.
"""
