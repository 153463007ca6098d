"""The core's commands, one module per family: each holds its parsers beside the code they run.

A command's run function imports what it needs when it runs, so that parsing the command line
(and `--help`) loads neither torch, OpenCV, FastAPI nor ONNX Runtime.
"""
