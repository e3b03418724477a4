from spectrogenre.fitting import best_epoch


def test_a_refit_trains_for_the_best_accuracy_epoch_with_the_lowest_loss():
    # accuracy plateaus from epoch 2; the loss keeps falling until epoch 4
    assert best_epoch([0.5, 0.9, 0.9, 0.9, 0.8], [1.0, 0.5, 0.3, 0.2, 0.4]) == 4
    assert best_epoch([0.5, 0.9, 0.8], [1.0, 0.5, 0.1]) == 2  # a lower loss never beats a better accuracy
