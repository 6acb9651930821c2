"""A county's hand-up package (汇交成果, issue 18): the DK layer (矢量数据) and the ownership
tables (权属数据: FBF, CBF, CBF_JTCY, CBHT, CBDKXX, CBJYQZDJB, CBJYQZ and its 补发/换发/注销 tables,
R4.17-R4.20) read as data, checked across tables by quality rules (moment 'handup'), and entered
set-based as of the package's own dates, with a report of every inconsistency."""
