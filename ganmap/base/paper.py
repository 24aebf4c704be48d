"""The paper this package implements, cited the same way everywhere (model card, app, docs)."""

PAPER = (
    "Raymond A. Yeh, Teck Yian Lim, Chen Chen, Alexander G. Schwing, Mark Hasegawa-Johnson and "
    "Minh N. Do, Image Restoration with Deep Generative Models, ICASSP 2018, pp. 6772-6776"
)
#: The paper has no arXiv version; this search finds its IEEE ICASSP 2018 proceedings entry.
PAPER_URL = (
    "https://scholar.google.com/scholar?q=%22Image+Restoration+with+Deep+Generative+Models%22"
    "+Yeh+Lim+ICASSP+2018"
)
