"""A workspace's FAQ (question variants, answer, platforms) and the matcher that finds the entry
a customer's comment or direct message asks about: jieba segmentation and BM25 over the
question variants, with a confidence in [0, 1]."""
