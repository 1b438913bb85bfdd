"""Every other public name of Keras 3 that glassnet does not have, grouped, with the reason.

``glassnet._not_here.missing`` looks a name up here after its own table, so that
``glassnet.layers.RandomFlip`` says "glassnet has no keras.layers.RandomFlip: ..." and what to
do instead, not a bare AttributeError. ``tests/test_keras_left_out.py`` lists every public name
of Keras 3.15.1's namespaces by running Keras (so the list cannot drift) and checks that glassnet
has each one or says why not; the README's table "Every other Keras name" shows these groups.
"""

from __future__ import annotations

from collections.abc import Sequence


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_SERIALIZE = (
    "glassnet saves objects as their settings: use obj.get_config(), and the namespace's "
    "from_config(config) to rebuild one (a model: model.to_json() and "
    "glassnet.models.model_from_json)."
)

#: (glassnet module, a short label, the Keras names, the reason given after "glassnet has no
#: keras.<namespace>.<name>: "). One group a row of the README's table.
GROUPS: list[tuple[str, str, Sequence[str], str]] = [
    # -- layers ----------------------------------------------------------------------------------
    (
        "glassnet.layers",
        "1-d, 3-d, transposed, separable and depthwise convolutions",
        _words(
            "Conv1DTranspose Conv3DTranspose Convolution1D Convolution1DTranspose "
            "Convolution2DTranspose Convolution3D Convolution3DTranspose DepthwiseConv1D "
            "SeparableConv1D SeparableConvolution1D SeparableConvolution2D"
        ),
        "its convolution is Conv2D (channels last). For 1-d signals, use Conv2D on inputs of "
        "shape (length, 1, channels) with kernel_size=(k, 1).",
    ),
    (
        "glassnet.layers",
        "other pooling (1-d, 3-d, global max, adaptive)",
        _words(
            "AveragePooling1D AveragePooling3D AvgPool1D AvgPool3D MaxPooling1D "
            "MaxPooling3D MaxPool1D MaxPool3D GlobalAveragePooling1D "
            "GlobalAveragePooling3D GlobalAvgPool1D GlobalAvgPool3D GlobalMaxPooling1D "
            "GlobalMaxPooling2D GlobalMaxPooling3D GlobalMaxPool1D GlobalMaxPool2D "
            "GlobalMaxPool3D AdaptiveAveragePooling1D AdaptiveAveragePooling2D "
            "AdaptiveAveragePooling3D AdaptiveMaxPooling1D AdaptiveMaxPooling2D "
            "AdaptiveMaxPooling3D"
        ),
        "its pooling layers are MaxPooling2D, AveragePooling2D and GlobalAveragePooling2D "
        "(channels last), each with its backward written out.",
    ),
    (
        "glassnet.layers",
        "recurrent cells, attention, masking, sequence wrappers",
        _words(
            "RNN GRUCell LSTMCell SimpleRNNCell StackedRNNCells ConvLSTM1D ConvLSTM2D "
            "ConvLSTM3D TimeDistributed Attention AdditiveAttention GroupQueryAttention "
            "ReversibleEmbedding Masking RepeatVector EinsumDense"
        ),
        "it has no recurrent, embedding or attention layers, only Dense, Conv2D, pooling, "
        "normalization, Dropout and reshaping layers (see glassnet.layers.LAYERS).",
    ),
    (
        "glassnet.layers",
        "merging layers (Add, Concatenate, ...)",
        _words(
            "Add Subtract Multiply Average Maximum Minimum Concatenate Dot add subtract "
            "multiply average maximum minimum concatenate dot"
        ),
        "merging several tensors needs Keras's functional API, and a glassnet model is one "
        "Sequential path. Stack the layers in glassnet.models.Sequential([...]).",
    ),
    (
        "glassnet.layers",
        "image augmentation and resizing layers",
        _words(
            "AugMix AutoContrast CenterCrop ContrastLimitedAdaptiveHistogramEqualization "
            "CutMix Equalization MaxNumBoundingBoxes MixUp Pipeline RandAugment "
            "RandomBrightness RandomColorDegeneration RandomColorJitter RandomContrast "
            "RandomCrop RandomElasticTransform RandomErasing RandomFlip "
            "RandomGaussianBlur RandomGrayscale RandomHue RandomInvert RandomPerspective "
            "RandomPosterization RandomRotation RandomSaturation RandomSharpness "
            "RandomShear RandomTranslation RandomZoom Resizing Solarization"
        ),
        "it has no image augmentation layers. Augment or resize the arrays before fit (e.g. "
        "np.flip(x, axis=2) for a horizontal flip); the model itself carries only Rescaling and "
        "Normalization.",
    ),
    (
        "glassnet.layers",
        "text, category and audio preprocessing layers",
        _words(
            "TextVectorization StringLookup IntegerLookup Hashing HashedCrossing "
            "CategoryEncoding Discretization MelSpectrogram STFTSpectrogram"
        ),
        "it takes numbers only. Encode the data before fit (class labels: "
        "glassnet.utils.to_categorical); the model carries only Rescaling and Normalization.",
    ),
    (
        "glassnet.layers",
        "other normalization layers",
        _words(
            "LayerNormalization GroupNormalization RMSNormalization UnitNormalization "
            "SpectralNormalization"
        ),
        "its normalization layers are BatchNormalization and the preprocessing Normalization.",
    ),
    (
        "glassnet.layers",
        "other dropout and noise layers, ActivityRegularization",
        _words(
            "AlphaDropout GaussianDropout GaussianNoise SpatialDropout1D SpatialDropout2D "
            "SpatialDropout3D ActivityRegularization"
        ),
        "its only noise layer is Dropout; a weight penalty is kernel_regularizer= on Dense and "
        "Conv2D.",
    ),
    (
        "glassnet.layers",
        "activation layers (ReLU, ELU, PReLU, Softmax)",
        ("ReLU", "ELU", "PReLU", "Softmax"),
        "use glassnet.layers.Activation('relu') (or 'elu', 'softmax'), or activation= on the "
        "layer before; LeakyReLU(negative_slope=) exists; PReLU's learned slope is not offered.",
    ),
    (
        "glassnet.layers",
        "cropping, padding, upsampling, Permute, Identity",
        _words(
            "Cropping1D Cropping2D Cropping3D ZeroPadding1D ZeroPadding2D ZeroPadding3D "
            "UpSampling1D UpSampling2D UpSampling3D Permute Identity"
        ),
        "its reshaping layers are Flatten and Reshape; Conv2D(padding='same') pads, and the "
        "arrays can be cropped or padded with NumPy before fit.",
    ),
    (
        "glassnet.layers",
        "Lambda, wrappers of other frameworks, InputLayer, InputSpec",
        _words(
            "Lambda Wrapper TorchModuleWrapper JaxLayer FlaxLayer TFSMLayer InputLayer InputSpec"
        ),
        "every glassnet layer has a hand-written backward pass, so a layer from a function or "
        "another framework cannot join a model. Start a model with glassnet.Input(shape=...).",
    ),
    ("glassnet.layers", "serialize, deserialize", ("serialize", "deserialize"), _SERIALIZE),
    # -- losses --------------------------------------------------------------------------------
    (
        "glassnet.losses",
        "other losses",
        _words(
            "BinaryFocalCrossentropy CategoricalFocalCrossentropy "
            "CategoricalGeneralizedCrossEntropy CategoricalHinge Circle CosineSimilarity "
            "CTC Dice Hinge KLDivergence LogCosh MeanAbsolutePercentageError "
            "MeanSquaredLogarithmicError Poisson SquaredHinge Tversky"
        ),
        "its losses are MeanSquaredError, MeanAbsoluteError, Huber and the binary, categorical "
        "and sparse categorical cross-entropies, each with its gradient written out (see "
        "glassnet.losses.LOSSES).",
    ),
    (
        "glassnet.losses",
        "loss functions (mean_squared_error, ...)",
        _words(
            "binary_crossentropy binary_focal_crossentropy categorical_crossentropy "
            "categorical_focal_crossentropy categorical_generalized_cross_entropy "
            "categorical_hinge circle cosine_similarity ctc dice hinge huber "
            "kl_divergence log_cosh mean_absolute_error mean_absolute_percentage_error "
            "mean_squared_error mean_squared_logarithmic_error poisson "
            "sparse_categorical_crossentropy squared_hinge tversky"
        ),
        "its losses are objects: glassnet.losses.get(name)(y_true, y_pred) is the batch mean, "
        "and a loss made with reduction='none' gives Keras's per-example values (e.g. "
        "glassnet.losses.MeanSquaredError(reduction='none')). compile(loss='mse') takes the "
        "names.",
    ),
    ("glassnet.losses", "serialize, deserialize", ("serialize", "deserialize"), _SERIALIZE),
    # -- metrics -------------------------------------------------------------------------------
    (
        "glassnet.metrics",
        "IoU metrics",
        ["BinaryIoU", "IoU", "MeanIoU", "OneHotIoU", "OneHotMeanIoU"],
        "it has no segmentation metrics. Compute them from model.predict(x) after fit.",
    ),
    (
        "glassnet.metrics",
        "F-scores, R2, correlations, metrics at a fixed precision or recall",
        _words(
            "F1Score FBetaScore R2Score PearsonCorrelation ConcordanceCorrelation "
            "PrecisionAtRecall RecallAtPrecision SensitivityAtSpecificity "
            "SpecificityAtSensitivity concordance_correlation pearson_correlation"
        ),
        "compute it from model.predict(x) (e.g. sklearn.metrics.f1_score or r2_score), or report "
        "Precision, Recall and AUC (curve='ROC' or 'PR') during fit.",
    ),
    (
        "glassnet.metrics",
        "hinge, KL, Poisson, log-cosh, cosine and focal metrics",
        _words(
            "CategoricalHinge CosineSimilarity Hinge KLDivergence LogCoshError Poisson "
            "SquaredHinge binary_focal_crossentropy categorical_focal_crossentropy "
            "categorical_hinge hinge huber kl_divergence log_cosh poisson squared_hinge"
        ),
        "its metrics are the accuracies, the errors (MAE, MSE, RMSE, MAPE, MSLE), the "
        "cross-entropies, Precision, Recall, AUC and the confusion counts. For another, "
        "subclass glassnet.metrics.Metric (update_state, result, reset_state).",
    ),
    (
        "glassnet.metrics",
        "MeanMetricWrapper",
        ("MeanMetricWrapper",),
        "subclass glassnet.metrics.Metric and write update_state, result and reset_state.",
    ),
    ("glassnet.metrics", "serialize, deserialize", ("serialize", "deserialize"), _SERIALIZE),
    # -- optimizers ----------------------------------------------------------------------------
    (
        "glassnet.optimizers",
        "other optimizers",
        _words("Adadelta Adafactor Adamax Ftrl Lamb Lion Muon Nadam ScheduleFreeAdamW"),
        "its optimizers are SGD (momentum, nesterov), RMSprop, Adam (amsgrad), AdamW and "
        "Adagrad, each step written out (see glassnet.optimizers.OPTIMIZERS).",
    ),
    (
        "glassnet.optimizers",
        "LossScaleOptimizer, MultiOptimizer, OptimizerMap",
        ("LossScaleOptimizer", "MultiOptimizer", "OptimizerMap"),
        "a glassnet model has one optimizer for all its layers, in one float dtype (no loss "
        "scaling: there is no float16); freeze a layer with layer.trainable = False instead.",
    ),
    ("glassnet.optimizers", "serialize, deserialize", ("serialize", "deserialize"), _SERIALIZE),
    (
        "glassnet.optimizers.schedules",
        "other schedules",
        ("CosineDecayRestarts", "InverseTimeDecay", "PolynomialDecay"),
        "its schedules are ExponentialDecay, CosineDecay and PiecewiseConstantDecay; for another "
        "formula, use glassnet.callbacks.LearningRateScheduler(lambda epoch, lr: ...).",
    ),
    # -- callbacks -----------------------------------------------------------------------------
    (
        "glassnet.callbacks",
        "OrbaxCheckpoint, SwapEMAWeights",
        ("OrbaxCheckpoint", "SwapEMAWeights"),
        "it keeps no JAX checkpoints and no moving average of the weights: save with "
        "ModelCheckpoint, resume with BackupAndRestore.",
    ),
    (
        "glassnet.callbacks",
        "ProgbarLogger",
        ("ProgbarLogger",),
        "fit(verbose=1) draws the progress bar itself (verbose=2: one line per epoch).",
    ),
    (
        "glassnet.callbacks",
        "RemoteMonitor",
        ("RemoteMonitor",),
        "it sends nothing over the network. Use LambdaCallback(on_epoch_end=...) or CSVLogger.",
    ),
    # -- activations, initializers, regularizers -----------------------------------------------
    (
        "glassnet.activations",
        "other activations",
        _words(
            "celu exponential glu hard_shrink hard_silu hard_swish hard_tanh log_sigmoid "
            "log_softmax mish relu6 soft_shrink sparse_plus sparse_sigmoid sparsemax "
            "squareplus tanh_shrink threshold"
        ),
        "its activations are those in glassnet.activations.ACTIVATIONS, each with its "
        "derivative written out; a layer cannot train through a function without one.",
    ),
    ("glassnet.activations", "serialize, deserialize", ("serialize", "deserialize"), _SERIALIZE),
    (
        "glassnet.initializers",
        "other initializers",
        _words("STFT STFTInitializer stft"),
        "its initializers are those in glassnet.initializers.INITIALIZERS; STFT makes the "
        "Fourier kernels of Keras's STFTSpectrogram layer, which glassnet does not have.",
    ),
    ("glassnet.initializers", "serialize, deserialize", ("serialize", "deserialize"), _SERIALIZE),
    (
        "glassnet.regularizers",
        "OrthogonalRegularizer",
        ("OrthogonalRegularizer", "orthogonal_regularizer"),
        "its regularizers are L1, L2 and L1L2 (l1, l2, l1_l2).",
    ),
    ("glassnet.regularizers", "serialize, deserialize", ("serialize", "deserialize"), _SERIALIZE),
    # -- utils ---------------------------------------------------------------------------------
    (
        "glassnet.utils",
        "data pipelines and dataset helpers",
        _words(
            "PyDataset Sequence FeatureSpace image_dataset_from_directory "
            "text_dataset_from_directory audio_dataset_from_directory "
            "timeseries_dataset_from_array split_dataset pad_sequences "
            "pack_x_y_sample_weight unpack_x_y_sample_weight get_file normalize"
        ),
        "glassnet's fit takes x and y as NumPy arrays held in memory. Build them with NumPy "
        "(glassnet.datasets has the small sets; it downloads nothing).",
    ),
    (
        "glassnet.utils",
        "image files",
        ("array_to_img", "img_to_array", "load_img", "save_img"),
        "read and write images with Pillow or imageio into NumPy arrays of shape "
        "(height, width, channels).",
    ),
    (
        "glassnet.utils",
        "plot_model, model_to_dot",
        ("plot_model", "model_to_dot"),
        "print model.summary(), or draw the network with glassnet.plots.",
    ),
    (
        "glassnet.utils",
        "custom-object registry and serialization",
        _words(
            "Config CustomObjectScope custom_object_scope get_custom_objects "
            "register_keras_serializable get_registered_name get_registered_object "
            "serialize_keras_object deserialize_keras_object"
        ),
        "a glassnet model file holds only glassnet's own layers and settings, never code, so "
        "there is nothing to register.",
    ),
    (
        "glassnet.utils",
        "backend and logging helpers",
        _words(
            "clear_session is_keras_tensor get_source_inputs standardize_dtype Progbar "
            "disable_interactive_logging enable_interactive_logging "
            "is_interactive_logging_enabled"
        ),
        "it has no backend session or symbolic tensors; fit(verbose=0) keeps it quiet.",
    ),
    # -- the top level -------------------------------------------------------------------------
    (
        "glassnet",
        "symbolic tensors, variables, scopes",
        _words(
            "Function KerasTensor Operation Variable StatelessScope SymbolicScope "
            "RematScope remat name_scope device InputSpec Quantizer DTypePolicy "
            "FloatDTypePolicy"
        ),
        "a glassnet weight is a plain NumPy array and every layer runs eagerly on the CPU in the "
        "model's dtype (Sequential(..., dtype='float64') for exact work).",
    ),
    (
        "glassnet",
        "other Keras modules",
        _words(
            "applications backend config constraints distillation dtype_policies legacy "
            "preprocessing quantizers random saving tree visualization wrappers"
        ),
        "it has the modules layers, models, losses, metrics, optimizers, callbacks, activations, "
        "initializers, regularizers, utils and datasets (no pretrained applications).",
    ),
]

#: (module, name) -> reason, built once from GROUPS
_REASONS: dict[tuple[str, str], str] = {
    (module, name): reason for module, _, names, reason in GROUPS for name in names
}


def keras_namespace(module: str) -> str:
    """ "glassnet.layers" -> "keras.layers"; "glassnet" -> "keras"."""
    return "keras" + module.removeprefix("glassnet")


def left_out(module: str, name: str) -> str | None:
    """The message for Keras's ``name`` in glassnet's ``module``, or None if not a Keras name."""
    reason = _REASONS.get((module, name))
    if reason is None:
        return None
    return f"glassnet has no {keras_namespace(module)}.{name}: {reason}"
