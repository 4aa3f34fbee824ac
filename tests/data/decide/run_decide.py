import json, sys, random
from decide.data.modelfactory import ModelFactory
from decide.data.reader import InputDataFile
from decide.model import equalgain
from decide.model.utils import ModelLoop
from decide.model import calculations
equalgain.EqualGainModel.ALLOW_RANDOM = False
random.seed(0)
class H:
    def __init__(s): s.rounds=[]; s.model=None
    def before_loop(s,*a,**k): pass
    def removed_exchanges(s,*a,**k): pass
    def execute_exchange(s, e):
        s.cur.append(e)
        s.ext.append({a.name: float(calculations.actor_externalities(a, s.model, e)) for a in s.model.actors})
    def after_loop(s, realized, **k):
        s.ex=[]
        for e, ext in zip(realized, s.ext):
            s.ex.append(dict(gain=float(e.gain), dp=float(e.dp), dq=float(e.dq),
              i=dict(actor=e.i.actor.name, supply=e.i.supply.issue.name, demand=e.i.demand.issue.name, x=float(e.i.supply.position), y=float(e.i.y), move=float(e.i.move), start=float(e.i.start_position)),
              j=dict(actor=e.j.actor.name, supply=e.j.supply.issue.name, demand=e.j.demand.issue.name, x=float(e.j.supply.position), y=float(e.j.y), move=float(e.j.move), start=float(e.j.start_position)), externalities=ext))
        s.ext=[]
    def end_loop(s, **k):
        m=s.model
        s.rounds.append(dict(nbs={i.name: float(v) for i,v in m.nbs.items()},
          voting={i.name:{a.name: float(ai.position) for a,ai in m.actor_issues[i].items()} for i in m.actor_issues},
          exchanges=s.ex))
data = InputDataFile.open(sys.argv[1])
f = ModelFactory(data)
m = f(model_klass=equalgain.EqualGainModel, randomized_value=None)
h=H(); h.model=m; h.cur=[]; h.ext=[]
loop = ModelLoop(m, h, 0)
m.calc_nbs()
init = dict(nbs={i.name: float(v) for i,v in m.nbs.items()},
    position={i.name:{a.name: float(ai.position) for a,ai in m.actor_issues[i].items()} for i in m.actor_issues})
for r in range(10):
    loop.loop()
    h.rounds[-1]['position']={i.name:{a.name: float(ai.position) for a,ai in m.actor_issues[i].items()} for i in m.actor_issues}
print(json.dumps(dict(initial=init, rounds=h.rounds, ties=m.tie_count), indent=1))
