"""musicnn (Pons and Serra, 2019) ported to Keras 3, with its pretrained MSD weights.

    from spectrogenre.musicnn.embedding import clip_embedding
    vector = clip_embedding(audio_16k)  # (200,) for 15 s of mono 16 kHz audio

frontend      16 kHz audio -> musicnn's log-mel -> 3 s patches (numpy and librosa only)
architecture  the network in Keras
checkpoint    its pretrained weights, from the `musicnn` package's files
              (`pip install --no-deps musicnn`) or an explicit checkpoint folder
embedding     embeddings per patch and per clip
vgg           the wheel's second network, MSD_vgg, with its weights (a second view of each patch)
classifier    a genre layer on top, for the pipeline's train, evaluate and export stages

Nothing is imported here, so that the front end loads without TensorFlow.
"""
