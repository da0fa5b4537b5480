"""Contract-faithful fake GitHub, GitLab and Gitea servers for the forge client tests."""
