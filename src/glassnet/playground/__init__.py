"""The playground: a local web page to build, train and step through a network on glassnet's
own engine (``glassnet playground``). ``app`` needs Starlette (``pip install
'glassnet[playground]'``); the other modules need only the core.
"""
