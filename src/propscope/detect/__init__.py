"""The detector: text -> overlapping token windows -> encoder scores -> spans and an Analysis.

Everything here runs on ONNX Runtime, `tokenizers` and NumPy; torch is never imported, so
inference stays light. Training (`propscope.train`) reuses the windowing, features and
decoding from here, so the model is trained and measured on exactly what inference does.
"""
