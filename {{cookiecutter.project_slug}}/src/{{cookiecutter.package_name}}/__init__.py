"""Package root: the project's name and version, shown by the CLI and the API."""

PROJECT_NAME = "{{ cookiecutter.project_name }}"
__version__ = "{{ cookiecutter.version }}"
