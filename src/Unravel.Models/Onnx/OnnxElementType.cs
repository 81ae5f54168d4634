// ONNX tensor element types (TensorProto.DataType in the ONNX IR specification) that the importer distinguishes.

namespace Unravel.Models.Onnx;

/// <summary>Element types of ONNX tensors, numbered as in the ONNX IR.</summary>
public enum OnnxElementType
{
    Undefined = 0,
    Float = 1,
    UInt8 = 2,
    Int8 = 3,
    UInt16 = 4,
    Int16 = 5,
    Int32 = 6,
    Int64 = 7,
    String = 8,
    Bool = 9,
    Float16 = 10,
    Double = 11,
    UInt32 = 12,
    UInt64 = 13,
    Complex64 = 14,
    Complex128 = 15,
    BFloat16 = 16,
}
