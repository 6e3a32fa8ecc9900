#!/usr/bin/env python3
"""A dropout golden file from the original SHA-RNN code, made as ../shared/reference's is.

The original model.py (Smerity/sha-rnn) in float64 and training mode, dropout p on every dropout of
the original (dropout, dropouth, dropouti; embedding-row dropout off); apex's fused LayerNorm replaced
by a plain LayerNorm with the same parameters and the code's two float32 casts kept in float64.
Every parameter is the reference init plus N(0, 0.3) noise. Every mask that a dropout module draws is
recorded as fb/seg<s>/mask/<module>/<k> (the multiplier, 0 or 1/(1-p), of the k-th call of that module
in segment s), with the logits, loss, gradients, LSTM states and memory of each segment (see
../shared/reference/README.md). sharnn's GoldenDropoutTest checks it:

    python3 scripts/make-golden-dropout.py ref/sha /tmp/other.safetensors vocab=40 embed=12 boom=36 blocks=3
    ./mvnw test -Dtest=GoldenDropoutTest -Dsharnn.golden-dropout=/tmp/other.safetensors

Usage: make-golden-dropout.py SHA_RNN_DIR OUT key=value ...
keys: vocab embed boom blocks window segment batch segments dropout seed (attention sits in block
blocks - 2, as in the original)
"""
import json, struct, sys, types
import numpy as np
import torch, torch.nn as nn, torch.nn.functional as F

sha_dir, out = sys.argv[1:3]
cfg = dict(vocab=27, embed=16, boom=64, blocks=4, window=12, segment=8, batch=2, segments=3, dropout=0.1, seed=1)
for kv in sys.argv[3:]:
    k, v = kv.split('=', 1)
    if k not in cfg: sys.exit(f'unknown key {k}; keys: {" ".join(cfg)}')
    cfg[k] = type(cfg[k])(v)
torch.manual_seed(cfg['seed'])
torch.set_default_dtype(torch.float64)


class FusedLayerNorm(nn.Module):   # apex's CUDA-only LayerNorm: the same parameters and computation
    def __init__(self, n, eps=1e-5):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n)); self.bias = nn.Parameter(torch.zeros(n)); self.eps = eps

    def forward(self, x):
        return F.layer_norm(x, x.shape[-1:], self.weight, self.bias, self.eps)


fln = types.ModuleType('apex.normalization.fused_layer_norm'); fln.FusedLayerNorm = FusedLayerNorm
sys.modules.update({'apex': types.ModuleType('apex'), 'apex.normalization': types.ModuleType('apex.normalization'),
                    'apex.normalization.fused_layer_norm': fln})
# model.py as it is, but for its two float32 casts (query.float(), x.float()), which stay float64 here
source = open(f'{sha_dir}/model.py').read()
for cast in ['self.qln(query.float())', 'else x.float()']:
    assert source.count(cast) == 1, f'model.py is not the version this script knows ({cast})'
    source = source.replace(cast, cast.replace('.float()', ''))
M = types.ModuleType('model'); M.__file__ = f'{sha_dir}/model.py'
exec(compile(source, M.__file__, 'exec'), M.__dict__)

V, E, T, B, S, p = cfg['vocab'], cfg['embed'], cfg['segment'], cfg['batch'], cfg['segments'], cfg['dropout']
m = M.SHARNN('LSTM', V, E, cfg['boom'], cfg['blocks'], dropout=p, dropouth=p, dropouti=p, dropoute=0, wdrop=0,
             tie_weights=True).double()
m.num_max_positions = cfg['window']; m.pos_emb = [0] * cfg['window']
with torch.no_grad():
    for q in m.parameters(): q.add_(torch.randn_like(q) * 0.3)   # tied weight: once
tokens = torch.randint(0, V, (S * T + 1, B))

tensors = {'tokens': tokens}
for name, q in m.state_dict().items(): tensors[f'init/{name}'] = q.clone()

masks, calls = {}, {}
def recording(name, module):
    def forward(x):
        k = calls.get(name, 0); calls[name] = k + 1
        mask = F.dropout(torch.ones_like(x), module.p, module.training)
        masks[f'{name}/{k}'] = mask.detach().clone()
        return x * mask
    return forward
for name, module in m.named_modules():
    if isinstance(module, nn.Dropout): module.forward = recording(name, module)

m.train()
hidden = mems = None
attention = cfg['blocks'] - 2
for s in range(S):
    x, y = tokens[s * T:(s + 1) * T], tokens[s * T + 1:(s + 1) * T + 1]
    masks.clear(); calls.clear()
    m.zero_grad()
    h, hidden, mems, _, _ = m(x, hidden=hidden, mems=mems)
    logits = m.decoder(h)
    loss = F.cross_entropy(logits.view(-1, V), y.reshape(-1))
    loss.backward()
    seg = f'fb/seg{s}/'
    tensors[seg + 'logits'] = logits.detach().clone()
    tensors[seg + 'loss'] = loss.detach().reshape(1).clone()
    for name, q in m.named_parameters():   # the tied weight once, as encoder.weight
        if q.grad is not None: tensors[seg + 'grad/' + name] = q.grad.clone()
    for b, (hh, cc) in enumerate(hidden):
        tensors[seg + f'hidden/{b}/h'] = hh.detach().clone(); tensors[seg + f'hidden/{b}/c'] = cc.detach().clone()
    tensors[seg + 'mem'] = mems[attention].detach().clone()
    for name, mask in masks.items(): tensors[seg + 'mask/' + name] = mask
    hidden = [tuple(t.detach() for t in hc) for hc in hidden]
    mems = [mm.detach() if isinstance(mm, torch.Tensor) else mm for mm in mems]   # blocks without attention: []

config = dict(vocab=V, embed=E, boom=cfg['boom'], blocks=cfg['blocks'], attention_block=attention,
              window=cfg['window'], segment=T, batch=B, segments=S, layernorm_eps=1e-12, dropout=p)
meta = {'description': f'SHA-RNN dropout golden tensors from the original PyTorch code (float64, training mode, '
                       f'dropout {p} on dropout, dropouth, dropouti), made by scripts/make-golden-dropout.py '
                       f'with seed {cfg["seed"]}; names and layout as ../shared/reference/README.md describes.',
        'config': json.dumps(config)}

header, blobs, offset = {'__metadata__': meta}, [], 0
for name in sorted(tensors):
    t = tensors[name].contiguous()
    dtype, arr = ('I64', t.numpy().astype('<i8')) if t.dtype == torch.int64 else ('F64', t.numpy().astype('<f8'))
    data = arr.tobytes()
    header[name] = {'dtype': dtype, 'shape': list(t.shape), 'data_offsets': [offset, offset + len(data)]}
    blobs.append(data); offset += len(data)
text = json.dumps(header, separators=(',', ':')).encode()
text += b' ' * (-len(text) % 8)
with open(out + '.tmp', 'wb') as f:
    f.write(struct.pack('<Q', len(text))); f.write(text)
    for data in blobs: f.write(data)
import os; os.replace(out + '.tmp', out)
print(f'{out}: {len(tensors)} tensors, {sum(1 for n in tensors if "/mask/" in n)} masks, config {json.dumps(config)}')
