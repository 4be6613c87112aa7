import type { Severity } from '../../scan/findings.js';

/**
 * How an op is judged. TensorFlow runs whatever ops a graph names when the
 * graph (or a function that holds them) executes; these are the ones that
 * reach outside the tensors.
 */
export type OpRule =
  /** Always reported: severity and what the op does. `path` is the input holding a filename, if any. */
  | { kind: 'deny'; severity: Severity; does: string; path?: number }
  /**
   * Every SavedModel uses them on the path the loader passes in (checkpoint
   * save/restore, vocabulary files, dataset caches); reported only when that
   * path is a constant of the graph that escapes the model's folder.
   */
  | { kind: 'path'; does: string; inputs: readonly number[] }
  /** Reported when an attribute sends it to a file (PrintV2 to file://, protos from a descriptor file). */
  | { kind: 'attr'; attr: string; does: string; safe: (v: string) => boolean };

const PY = 'calls back into Python: it runs whatever function the loading process registered under its token';
const READS = 'reads files';
const WRITES = 'writes files';

const DENY: Record<string, OpRule> = {
  PyFunc: { kind: 'deny', severity: 'CRITICAL', does: PY },
  PyFuncStateless: { kind: 'deny', severity: 'CRITICAL', does: PY },
  EagerPyFunc: { kind: 'deny', severity: 'CRITICAL', does: PY },
  ReadFile: { kind: 'deny', severity: 'HIGH', does: 'reads a file into a tensor', path: 0 },
  WriteFile: { kind: 'deny', severity: 'HIGH', does: 'writes a tensor to a file', path: 0 },
  MatchingFiles: { kind: 'deny', severity: 'HIGH', does: 'lists files matching a pattern', path: 0 },
  ImmutableConst: { kind: 'deny', severity: 'HIGH', does: 'memory-maps a file named in its attributes' },
  // tf.data sources and sinks that touch the filesystem (or a database).
  TFRecordDataset: { kind: 'deny', severity: 'HIGH', does: READS, path: 0 },
  TFRecordDatasetV2: { kind: 'deny', severity: 'HIGH', does: READS, path: 0 },
  FixedLengthRecordDataset: { kind: 'deny', severity: 'HIGH', does: READS, path: 0 },
  FixedLengthRecordDatasetV2: { kind: 'deny', severity: 'HIGH', does: READS, path: 0 },
  TextLineDataset: { kind: 'deny', severity: 'HIGH', does: READS, path: 0 },
  CSVDataset: { kind: 'deny', severity: 'HIGH', does: READS, path: 0 },
  CSVDatasetV2: { kind: 'deny', severity: 'HIGH', does: READS, path: 0 },
  ExperimentalCSVDataset: { kind: 'deny', severity: 'HIGH', does: READS, path: 0 },
  SqlDataset: { kind: 'deny', severity: 'HIGH', does: 'queries a database', path: 1 },
  ExperimentalSqlDataset: { kind: 'deny', severity: 'HIGH', does: 'queries a database', path: 1 },
  LMDBDataset: { kind: 'deny', severity: 'HIGH', does: READS, path: 0 },
  ExperimentalLMDBDataset: { kind: 'deny', severity: 'HIGH', does: READS, path: 0 },
  DatasetToTFRecord: { kind: 'deny', severity: 'HIGH', does: WRITES, path: 1 },
  ExperimentalDatasetToTFRecord: { kind: 'deny', severity: 'HIGH', does: WRITES, path: 1 },
  SaveDataset: { kind: 'deny', severity: 'HIGH', does: WRITES, path: 1 },
  SaveDatasetV2: { kind: 'deny', severity: 'HIGH', does: WRITES, path: 1 },
  LoadDataset: { kind: 'deny', severity: 'HIGH', does: READS, path: 0 },
  SnapshotDataset: { kind: 'deny', severity: 'HIGH', does: 'reads and writes files', path: 1 },
  SnapshotDatasetV2: { kind: 'deny', severity: 'HIGH', does: 'reads and writes files', path: 1 },
  SnapshotDatasetReader: { kind: 'deny', severity: 'HIGH', does: READS, path: 0 },
  SnapshotChunkDataset: { kind: 'deny', severity: 'HIGH', does: READS, path: 0 },
  SnapshotNestedDatasetReader: { kind: 'deny', severity: 'HIGH', does: READS },
  // Queue-based readers of TF1 input pipelines.
  WholeFileReader: { kind: 'deny', severity: 'HIGH', does: READS },
  WholeFileReaderV2: { kind: 'deny', severity: 'HIGH', does: READS },
  TextLineReader: { kind: 'deny', severity: 'HIGH', does: READS },
  TextLineReaderV2: { kind: 'deny', severity: 'HIGH', does: READS },
  TFRecordReader: { kind: 'deny', severity: 'HIGH', does: READS },
  TFRecordReaderV2: { kind: 'deny', severity: 'HIGH', does: READS },
  FixedLengthRecordReader: { kind: 'deny', severity: 'HIGH', does: READS },
  FixedLengthRecordReaderV2: { kind: 'deny', severity: 'HIGH', does: READS },
  LMDBReader: { kind: 'deny', severity: 'HIGH', does: READS },
  // Summary and debugger writers: files under a log directory, or gRPC endpoints.
  CreateSummaryFileWriter: { kind: 'deny', severity: 'HIGH', does: WRITES, path: 1 },
  CreateSummaryDbWriter: { kind: 'deny', severity: 'HIGH', does: 'writes a database file', path: 1 },
  DebugIdentity: { kind: 'deny', severity: 'HIGH', does: 'sends tensors to debug URLs (files or gRPC)' },
  DebugIdentityV2: { kind: 'deny', severity: 'HIGH', does: 'writes debug events under a dump directory' },
  DebugIdentityV3: { kind: 'deny', severity: 'HIGH', does: 'sends tensors to debug URLs (files or gRPC)' },
  DebugNanCount: { kind: 'deny', severity: 'HIGH', does: 'sends tensors to debug URLs (files or gRPC)' },
  DebugNumericSummary: { kind: 'deny', severity: 'HIGH', does: 'sends tensors to debug URLs (files or gRPC)' },
  DebugNumericSummaryV2: { kind: 'deny', severity: 'HIGH', does: 'sends tensors to debug URLs (files or gRPC)' },
  // Checkpointing and file-backed lookups: see `path` above.
  Save: { kind: 'path', does: 'writes a checkpoint', inputs: [0] },
  SaveV2: { kind: 'path', does: 'writes a checkpoint', inputs: [0] },
  SaveSlices: { kind: 'path', does: 'writes a checkpoint', inputs: [0] },
  Restore: { kind: 'path', does: 'reads a checkpoint', inputs: [0] },
  RestoreV2: { kind: 'path', does: 'reads a checkpoint', inputs: [0] },
  RestoreSlice: { kind: 'path', does: 'reads a checkpoint', inputs: [0] },
  MergeV2Checkpoints: { kind: 'path', does: 'moves and deletes checkpoint files', inputs: [0, 1] },
  InitializeTableFromTextFile: { kind: 'path', does: 'reads a vocabulary file', inputs: [1] },
  InitializeTableFromTextFileV2: { kind: 'path', does: 'reads a vocabulary file', inputs: [1] },
  LoadAndRemapMatrix: { kind: 'path', does: 'reads a checkpoint', inputs: [0] },
  GenerateVocabRemapping: { kind: 'path', does: 'reads vocabulary files', inputs: [0, 1] },
  CacheDataset: { kind: 'path', does: 'caches a dataset in files', inputs: [1] },
  CacheDatasetV2: { kind: 'path', does: 'caches a dataset in files', inputs: [1] },
  PrintV2: {
    kind: 'attr',
    attr: 'output_stream',
    does: 'prints tensors to a file',
    safe: (v) => !v.startsWith('file://'),
  },
  DecodeProtoV2: {
    kind: 'attr',
    attr: 'descriptor_source',
    does: 'reads a protobuf descriptor file',
    safe: (v) => v === '' || v === 'local://' || v.startsWith('bytes://'),
  },
  EncodeProto: {
    kind: 'attr',
    attr: 'descriptor_source',
    does: 'reads a protobuf descriptor file',
    safe: (v) => v === '' || v === 'local://' || v.startsWith('bytes://'),
  },
};

export function opRule(op: string): OpRule | undefined {
  return Object.hasOwn(DENY, op) ? DENY[op] : undefined;
}

/**
 * Ops real models use that stay within tensors and the model's own
 * resources: TensorFlow's core math, nn, array, control-flow, variable,
 * table, string, image, parsing, random and tf.data in-memory ops (seeded
 * from TFLite's Flex allowlist), plus TensorFlow Text's and SentencePiece's
 * tokenizer ops. Anything else is unknown: it needs code registered
 * outside the model to load (MEDIUM, as modelscan reports ops TensorFlow
 * doesn't know).
 */
const ALLOWED_LIST = `
Abort Abs Acos Acosh Add AddN AddV2 AdjustContrast AdjustContrastv2 AdjustHue AdjustSaturation All Angle Any
ApplyAdaMax ApplyAdadelta ApplyAdagrad ApplyAdagradDA ApplyAdagradV2 ApplyAdam ApplyAddSign ApplyCenteredRMSProp ApplyFtrl
ApplyFtrlV2 ApplyGradientDescent ApplyMomentum ApplyPowerSign ApplyProximalAdagrad ApplyProximalGradientDescent ApplyRMSProp
ApproximateEqual ArgMax ArgMin AsString Asin Asinh Assert Assign AssignAdd AssignAddVariableOp AssignSub AssignSubVariableOp
AssignVariableOp Atan Atan2 Atanh AudioSpectrogram AvgPool AvgPool3D AvgPool3DGrad AvgPoolGrad
BatchMatMul BatchMatMulV2 BatchMatMulV3 BatchMatrixBandPart BatchMatrixDiag BatchMatrixDiagPart BatchMatrixInverse BatchMatrixSetDiag
BatchNormWithGlobalNormalization BatchNormWithGlobalNormalizationGrad BatchToSpace BatchToSpaceND Betainc BiasAdd BiasAddGrad
BiasAddV1 Bincount Bitcast BitwiseAnd BitwiseOr BitwiseXor BlockLSTM BlockLSTMGrad BlockLSTMGradV2 BlockLSTMV2
BoostedTreesBucketize BoostedTreesCreateQuantileStreamResource BoostedTreesFlushQuantileSummaries BoostedTreesMakeQuantileSummaries
BoostedTreesQuantileStreamResourceAddSummaries BoostedTreesQuantileStreamResourceDeserialize BoostedTreesQuantileStreamResourceFlush
BoostedTreesQuantileStreamResourceGetBucketBoundaries BoostedTreesQuantileStreamResourceHandleOp BroadcastArgs BroadcastGradientArgs
BroadcastTo Bucketize CTCBeamSearchDecoder CTCGreedyDecoder CTCLoss CTCLossV2 Case Cast Ceil CheckNumerics CheckNumericsV2 Cholesky
ClipByValue CombinedNonMaxSuppression Complex ComplexAbs Concat ConcatOffset ConcatV2 Conj ConjugateTranspose Const
ControlTrigger Conv Conv2D Conv2DBackpropFilter Conv2DBackpropFilterV2 Conv2DBackpropInput Conv2DBackpropInputV2 Conv3D
Conv3DBackpropFilter Conv3DBackpropFilterV2 Conv3DBackpropInput Conv3DBackpropInputV2 Cos Cosh CropAndResize
CropAndResizeGradBoxes CropAndResizeGradImage Cross CudnnRNN CudnnRNNBackprop CudnnRNNBackpropV2 CudnnRNNBackpropV3
CudnnRNNCanonicalToParams CudnnRNNCanonicalToParamsV2 CudnnRNNParamsSize CudnnRNNParamsToCanonical CudnnRNNParamsToCanonicalV2
CudnnRNNV2 CudnnRNNV3 Cumprod Cumsum CumulativeLogsumexp DataFormatDimMap DataFormatVecPermute DebugGradientIdentity
DebugGradientRefIdentity DecodeAndCropJpeg DecodeBase64 DecodeBmp DecodeCSV DecodeCompressed DecodeGif DecodeImage DecodeJSONExample
DecodeJpeg DecodePaddedRaw DecodePng DecodeRaw DecodeWav DeepCopy DenseBincount DenseToDenseSetOperation DenseToSparseSetOperation
DepthToSpace DepthwiseConv2dNative DepthwiseConv2dNativeBackpropFilter DepthwiseConv2dNativeBackpropInput Dequantize
DestroyResourceOp DestroyTemporaryVariable Diag DiagPart Digamma Dilation2D Dilation2DBackpropFilter Dilation2DBackpropInput
DisableCopyOnRead Div DivNoNan DrawBoundingBoxes DrawBoundingBoxesV2 DynamicPartition DynamicStitch EditDistance Eig Einsum Elu
EluGrad Empty EmptyTensorList EncodeBase64 EncodeJpeg EncodeJpegVariableQuality EncodePng EncodeWav EnsureShape Enter Equal Erf
Erfc Erfinv EuclideanNorm Exit Exp ExpandDims ExperimentalParseExampleDataset Expm1 ExtractGlimpse ExtractGlimpseV2
ExtractImagePatches ExtractVolumePatches FFT FFT2D FFT3D FIFOQueue FIFOQueueV2 FakeParam FakeQuantWithMinMaxArgs
FakeQuantWithMinMaxArgsGradient FakeQuantWithMinMaxVars FakeQuantWithMinMaxVarsGradient FakeQuantWithMinMaxVarsPerChannel
FakeQuantWithMinMaxVarsPerChannelGradient FakeQueue Fill Fingerprint Floor FloorDiv FloorMod FractionalAvgPool FractionalMaxPool
FusedBatchNorm FusedBatchNormGrad FusedBatchNormGradV2 FusedBatchNormGradV3 FusedBatchNormV2 FusedBatchNormV3 FusedPadConv2D
FusedResizeAndPadConv2D Gather GatherNd GatherV2 GetSessionHandle GetSessionHandleV2 GetSessionTensor Greater GreaterEqual
GRUBlockCell GRUBlockCellGrad GuaranteeConst HSVToRGB HashTable HashTableV2 HistogramFixedWidth HistogramSummary IFFT IFFT2D IFFT3D
IRFFT IRFFT2D IRFFT3D Identity IdentityN If Igamma IgammaGradA Igammac Imag ImageProjectiveTransformV2 ImageProjectiveTransformV3
ImageSummary InTopK InTopKV2 InitializeTable InitializeTableV2 InplaceAdd InplaceSub InplaceUpdate Inv InvGrad Invert
InvertPermutation IsBoostedTreesQuantileStreamResourceInitialized IsFinite IsInf IsNan IsVariableInitialized L2Loss LRN LRNGrad
LSTMBlockCell LSTMBlockCellGrad LeakyRelu LeakyReluGrad LeftShift Less LessEqual Lgamma LinSpace ListDiff Log Log1p LogMatrixDeterminant
LogSoftmax LogicalAnd LogicalNot LogicalOr LookupTableExport LookupTableExportV2 LookupTableFind LookupTableFindV2
LookupTableImport LookupTableImportV2 LookupTableInsert LookupTableInsertV2 LookupTableRemoveV2 LookupTableSize LookupTableSizeV2
LoopCond LowerBound Lu MatMul MatrixBandPart MatrixDeterminant MatrixDiag MatrixDiagPart MatrixDiagPartV2 MatrixDiagPartV3
MatrixDiagV2 MatrixDiagV3 MatrixExponential MatrixInverse MatrixLogarithm MatrixSetDiag MatrixSetDiagV2 MatrixSetDiagV3
MatrixSolve MatrixSolveLs MatrixSquareRoot MatrixTriangularSolve Max MaxPool MaxPool3D MaxPool3DGrad MaxPool3DGradGrad MaxPoolGrad
MaxPoolGradGrad MaxPoolGradGradV2 MaxPoolGradGradWithArgmax MaxPoolGradV2 MaxPoolGradWithArgmax MaxPoolV2 MaxPoolWithArgmax Maximum
Mean Merge MergeSummary Mfcc Min Minimum MirrorPad MirrorPadGrad Mod Mul MulNoNan Multinomial MutableDenseHashTable
MutableDenseHashTableV2 MutableHashTable MutableHashTableOfTensors MutableHashTableOfTensorsV2 MutableHashTableV2 MutexLock MutexV2
ConsumeMutexLock Ndtri Neg NextAfter NextIteration NoOp NonMaxSuppression NonMaxSuppressionV2 NonMaxSuppressionV3
NonMaxSuppressionV4 NonMaxSuppressionV5 NonMaxSuppressionWithOverlaps NotEqual NthElement OneHot OnesLike OptionalFromValue
OptionalGetValue OptionalHasValue OptionalNone Pack Pad PadV2 PaddingFIFOQueue PaddingFIFOQueueV2 ParallelConcat
ParallelDynamicStitch ParameterizedTruncatedNormal ParseExample ParseExampleV2 ParseSequenceExample ParseSequenceExampleV2
ParseSingleExample ParseSingleSequenceExample ParseTensor PartitionedCall Placeholder PlaceholderV2 PlaceholderWithDefault Polygamma
PopulationCount Pow PreventGradient Print Prod Qr QuantizeAndDequantize QuantizeAndDequantizeV2 QuantizeAndDequantizeV3
QuantizeAndDequantizeV4 QuantizeDownAndShrinkRange QuantizeV2 QuantizedAdd QuantizedAvgPool
QuantizedBatchNormWithGlobalNormalization QuantizedBiasAdd QuantizedConcat QuantizedConv2D QuantizedInstanceNorm QuantizedMatMul
QuantizedMaxPool QuantizedMul QuantizedRelu QuantizedRelu6 QuantizedReshape QuantizedResizeBilinear QueueClose QueueCloseV2
QueueDequeue QueueDequeueMany QueueDequeueManyV2 QueueDequeueUpTo QueueDequeueUpToV2 QueueDequeueV2 QueueEnqueue QueueEnqueueMany
QueueEnqueueManyV2 QueueEnqueueV2 QueueIsClosed QueueIsClosedV2 QueueSize QueueSizeV2 RFFT RFFT2D RFFT3D RGBToHSV RaggedBincount
RaggedCross RaggedGather RaggedRange RaggedTensorFromVariant RaggedTensorToSparse RaggedTensorToTensor RaggedTensorToVariant
RandomCrop RandomGamma RandomGammaGrad RandomPoisson RandomPoissonV2 RandomShuffle RandomShuffleQueue RandomShuffleQueueV2
RandomStandardNormal RandomUniform RandomUniformInt Range Rank ReadVariableOp Real RealDiv Reciprocal ReciprocalGrad ReduceJoin
RefEnter RefExit RefIdentity RefMerge RefNextIteration RefSelect RefSwitch RegexFullMatch RegexReplace Relu Relu6 Relu6Grad ReluGrad
RequantizationRange Requantize Reshape ResizeArea ResizeBicubic ResizeBicubicGrad ResizeBilinear ResizeBilinearGrad
ResizeNearestNeighbor ResizeNearestNeighborGrad ResourceApplyAdaMax ResourceApplyAdadelta ResourceApplyAdagrad
ResourceApplyAdagradDA ResourceApplyAdagradV2 ResourceApplyAdam ResourceApplyAdamWithAmsgrad ResourceApplyAddSign
ResourceApplyCenteredRMSProp ResourceApplyFtrl ResourceApplyFtrlV2 ResourceApplyGradientDescent ResourceApplyKerasMomentum
ResourceApplyMomentum ResourceApplyPowerSign ResourceApplyProximalAdagrad ResourceApplyProximalGradientDescent ResourceApplyRMSProp
ResourceGather ResourceGatherNd ResourceScatterAdd ResourceScatterDiv ResourceScatterMax ResourceScatterMin ResourceScatterMul
ResourceScatterNdAdd ResourceScatterNdMax ResourceScatterNdMin ResourceScatterNdSub ResourceScatterNdUpdate ResourceScatterSub
ResourceScatterUpdate ResourceSparseApplyAdadelta ResourceSparseApplyAdagrad ResourceSparseApplyAdagradDA
ResourceSparseApplyAdagradV2 ResourceSparseApplyCenteredRMSProp ResourceSparseApplyFtrl ResourceSparseApplyFtrlV2
ResourceSparseApplyKerasMomentum ResourceSparseApplyMomentum ResourceSparseApplyProximalAdagrad
ResourceSparseApplyProximalGradientDescent ResourceSparseApplyRMSProp ResourceStridedSliceAssign Reverse ReverseSequence
ReverseV2 RightShift Rint Roll Round Rsqrt RsqrtGrad SampleDistortedBoundingBox SampleDistortedBoundingBoxV2 ScalarSummary
ScaleAndTranslate ScaleAndTranslateGrad ScatterAdd ScatterDiv ScatterMax ScatterMin ScatterMul ScatterNd ScatterNdAdd ScatterNdMax
ScatterNdMin ScatterNdNonAliasingAdd ScatterNdSub ScatterNdUpdate ScatterSub ScatterUpdate SegmentMax SegmentMean SegmentMin
SegmentProd SegmentSum Select SelectV2 SelfAdjointEig SelfAdjointEigV2 Selu SeluGrad SerializeManySparse SerializeSparse
SerializeTensor SetSize Shape ShapeN ShardedFilename ShardedFilespec Sigmoid SigmoidGrad Sign Sin Sinh Size Slice Snapshot Softmax
SoftmaxCrossEntropyWithLogits Softplus SoftplusGrad Softsign SoftsignGrad SpaceToBatch SpaceToBatchND SpaceToDepth SparseAdd
SparseAddGrad SparseApplyAdadelta SparseApplyAdagrad SparseApplyAdagradDA SparseApplyAdagradV2 SparseApplyCenteredRMSProp
SparseApplyFtrl SparseApplyFtrlV2 SparseApplyMomentum SparseApplyProximalAdagrad SparseApplyProximalGradientDescent
SparseApplyRMSProp SparseBincount SparseConcat SparseCross SparseCrossHashed SparseCrossV2 SparseDenseCwiseAdd SparseDenseCwiseDiv
SparseDenseCwiseMul SparseFillEmptyRows SparseFillEmptyRowsGrad SparseMatMul SparseReduceMax SparseReduceMaxSparse SparseReduceSum
SparseReduceSumSparse SparseReorder SparseReshape SparseSegmentMean SparseSegmentMeanGrad SparseSegmentMeanWithNumSegments
SparseSegmentSqrtN SparseSegmentSqrtNGrad SparseSegmentSqrtNWithNumSegments SparseSegmentSum SparseSegmentSumWithNumSegments
SparseSlice SparseSliceGrad SparseSoftmax SparseSoftmaxCrossEntropyWithLogits SparseSparseMaximum SparseSparseMinimum SparseSplit
SparseTensorDenseAdd SparseTensorDenseMatMul SparseToDense SparseToSparseSetOperation Split SplitV Sqrt SqrtGrad Square
SquaredDifference Squeeze Stack StackClose StackCloseV2 StackPop StackPopV2 StackPush StackPushV2 StackV2 StatefulPartitionedCall
StatefulStandardNormalV2 StatefulTruncatedNormal StatefulUniform StatefulUniformFullInt StatefulUniformInt StatelessCase StatelessIf
StatelessMultinomial StatelessRandomGammaV2 StatelessRandomGammaV3 StatelessRandomGetAlg StatelessRandomGetKeyCounter
StatelessRandomGetKeyCounterAlg StatelessRandomNormal StatelessRandomNormalV2 StatelessRandomPoisson StatelessRandomUniform
StatelessRandomUniformFullInt StatelessRandomUniformFullIntV2 StatelessRandomUniformInt StatelessRandomUniformIntV2
StatelessRandomUniformV2 StatelessSampleDistortedBoundingBox StatelessShuffle StatelessTruncatedNormal StatelessTruncatedNormalV2
StatelessWhile StaticRegexFullMatch StaticRegexReplace StopGradient StridedSlice StridedSliceAssign StridedSliceGrad StringFormat
StringJoin StringLength StringLower StringNGrams StringSplit StringSplitV2 StringStrip StringToHashBucket StringToHashBucketFast
StringToHashBucketStrong StringToNumber StringUpper Sub Substr Sum Svd Switch SymbolicGradient Tan Tanh TanhGrad TemporaryVariable
TensorArray TensorArrayClose TensorArrayCloseV2 TensorArrayCloseV3 TensorArrayConcat TensorArrayConcatV2 TensorArrayConcatV3
TensorArrayGather TensorArrayGatherV2 TensorArrayGatherV3 TensorArrayGrad TensorArrayGradV2 TensorArrayGradV3
TensorArrayGradWithShape TensorArrayPack TensorArrayRead TensorArrayReadV2 TensorArrayReadV3 TensorArrayScatter
TensorArrayScatterV2 TensorArrayScatterV3 TensorArraySize TensorArraySizeV2 TensorArraySizeV3 TensorArraySplit
TensorArraySplitV2 TensorArraySplitV3 TensorArrayUnpack TensorArrayV2 TensorArrayV3 TensorArrayWrite TensorArrayWriteV2
TensorArrayWriteV3 TensorListConcat TensorListConcatLists TensorListConcatV2 TensorListElementShape TensorListFromTensor
TensorListGather TensorListGetItem TensorListLength TensorListPopBack TensorListPushBack TensorListPushBackBatch
TensorListReserve TensorListResize TensorListScatter TensorListScatterIntoExistingList TensorListScatterV2 TensorListSetItem
TensorListSplit TensorListStack TensorScatterAdd TensorScatterMax TensorScatterMin TensorScatterSub TensorScatterUpdate
TensorStridedSliceUpdate TensorSummary TensorSummaryV2 Tile TileGrad Timestamp TopK TopKV2 Transpose TridiagonalMatMul
TridiagonalSolve TruncateDiv TruncateMod TruncatedNormal UnicodeDecode UnicodeDecodeWithOffsets UnicodeEncode UnicodeScript
UnicodeTranscode UniformCandidateSampler Unique UniqueV2 UniqueWithCounts UniqueWithCountsV2 Unpack UnravelIndex
UnsortedSegmentJoin UnsortedSegmentMax UnsortedSegmentMin UnsortedSegmentProd UnsortedSegmentSum UpperBound VarHandleOp
VarIsInitializedOp Variable VariableShape VariableV2 Where While Xdivy Xlog1py Xlogy ZerosLike Zeta
_Arg _ArrayToList _DeviceArg _DeviceRetval _FusedBatchNormEx _FusedConv2D _FusedDepthwiseConv2dNative _FusedMatMul _HostCast
_ListToArray _ParallelConcatStart _ParallelConcatUpdate _Retval _SwitchN
AnonymousHashTable AnonymousMutableDenseHashTable AnonymousMutableHashTable AnonymousMutableHashTableOfTensors
AnonymousIterator AnonymousIteratorV2 AnonymousIteratorV3 AnonymousMemoryCache AnonymousMultiDeviceIterator AnonymousSeedGenerator
AnonymousRandomSeedGenerator BatchDataset BatchDatasetV2 ConcatenateDataset DatasetCardinality DeleteIterator DeleteMemoryCache
DeleteRandomSeedGenerator DeleteSeedGenerator DummyMemoryCache DummySeedGenerator FilterDataset FlatMapDataset GeneratorDataset
InterleaveDataset IteratorGetNext IteratorGetNextAsOptional IteratorGetNextSync IteratorToStringHandle IteratorV2 MakeIterator
MapDataset MapDefun MaxIntraOpParallelismDataset ModelDataset OneShotIterator OptimizeDataset OptimizeDatasetV2 OptionsDataset
PaddedBatchDataset PaddedBatchDatasetV2 ParallelBatchDataset ParallelInterleaveDatasetV2 ParallelInterleaveDatasetV3
ParallelInterleaveDatasetV4 ParallelMapDataset ParallelMapDatasetV2 PrefetchDataset PrivateThreadPoolDataset RangeDataset
ReduceDataset RepeatDataset ShuffleAndRepeatDataset ShuffleAndRepeatDatasetV2 ShuffleDataset ShuffleDatasetV2 ShuffleDatasetV3
SkipDataset TakeDataset TensorDataset TensorSliceDataset UnbatchDataset WindowDataset ZipDataset WrapDatasetVariant
UnwrapDatasetVariant
TPUCompilationResult TPUOrdinalSelector TPUPartitionedCall TPUReplicateMetadata TPUReplicatedInput TPUReplicatedOutput
CaseFoldUTF8 ConstrainedSequence FastBertNormalize FastWordpieceTokenizeWithOffsets MaxSpanningTree NgramsStringJoin NormalizeUTF8
NormalizeUTF8WithOffsetsMap RegexSplitWithOffsets RougeL SentenceFragments SentencepieceDetokenizeOp SentencepieceIdToStringOp
SentencepieceOp SentencepieceStringToIdOp SentencepieceTokenizeOp SentencepieceTokenizeWithOffsetsOp SentencepieceVocabSizeOp
SplitMergeFromLogitsTokenizeWithOffsets SplitMergeTokenizeWithOffsets TokenizerFromLogits UnicodeScriptTokenizeWithOffsets
WhitespaceTokenizeWithOffsets WhitespaceTokenizeWithOffsetsV2 WordpieceTokenizeWithOffsets
SentencepieceDecode SentencepieceEncodeDense SentencepieceEncodeSparse SentencepieceGetPieceSize SentencepieceIdToPiece
SentencepiecePieceToId
`;

const ALLOWED: ReadonlySet<string> = new Set(ALLOWED_LIST.split(/\s+/).filter(Boolean));

export function isAllowedOp(op: string): boolean {
  return ALLOWED.has(op);
}

/** Ops whose output is their first input unchanged: followed when tracing where a filename comes from. */
export const PASS_THROUGH: ReadonlySet<string> = new Set(['Identity', 'IdentityN', 'Snapshot', 'StopGradient', 'GuaranteeConst']);
