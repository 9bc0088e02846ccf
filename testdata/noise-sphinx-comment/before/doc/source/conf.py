# Configuration file for the Sphinx documentation builder.

# -- General configuration ---------------------------------------------------

extensions = [
    'openstackdocstheme',
    'oslo_config.sphinxext',
    'sphinx.ext.extlinks',
]

# sphinxcontrib.apidoc options: none, the API reference is written by hand
# in api-ref/ and no module documentation is generated.

project = 'quokka'
copyright = '2026, Quokka contributors'
master_doc = 'index'

# -- Options for HTML output -------------------------------------------------

html_theme = 'openstackdocs'
openstackdocs_repo_name = 'example/quokka'
