"""moto's core: a model instance is no longer kept alive forever by moto's instance tracking.

moto 5.2.1 appends every instance of every model (`BaseModel.__new__`) to its class's `instances_tracked` list,
for its `/moto-api/data.json` dashboard and for closing S3 keys' buffers on a reset. Nothing ever removes them,
so in a long-running server every deleted thing stays in memory: a deleted Lambda function with its whole zip
(`code_bytes`), a deleted DynamoDB table's items, every log event of a deleted log group, every stack event.
That was most of moto's growth per deploy+destroy cycle (about 17 MB with a dev-build zip of the CRUD pattern).
Here the lists hold weak references: the dashboard and the S3 reset still see every instance that is alive, and
what moto has deleted is freed. It is applied first, before any other module's additions create instances."""

import weakref

from moto.core import common_models
from moto.core.model_instances import model_data

from local_moto.common import Context


def patch(ctx: Context) -> None:
    for models in model_data.values():
        for model in models.values():
            WeakInstances.of(model)
    base_new = super(common_models.BaseModel, common_models.BaseModel).__new__

    def __new__(cls, *args, **kwargs):
        instance = base_new(cls)
        WeakInstances.of(cls).append(instance)
        return instance

    common_models.BaseModel.__new__ = __new__


class WeakInstances:
    """A class's tracked instances, held weakly: iterating yields those still alive, in creation order. moto's
    reset (`reset_model_data`) puts a plain list back; `of` replaces it again at the next instance."""

    # Dead references are dropped when the list has grown by this factor since the last pruning.
    PRUNE_FACTOR = 2

    def __init__(self, instances=()):
        self.refs: list[weakref.ref] = []
        self.pruned_at = 16
        for instance in instances:
            self.append(instance)

    @classmethod
    def of(cls, model: type) -> "WeakInstances":
        tracked = model.__dict__.get("instances_tracked")
        if not isinstance(tracked, WeakInstances):
            tracked = WeakInstances(tracked or ())
            model.instances_tracked = tracked
        return tracked

    def append(self, instance) -> None:
        try:
            self.refs.append(weakref.ref(instance))
        except TypeError:  # a model without weak reference support: not tracked (moto only reads the list)
            return
        if len(self.refs) >= self.pruned_at:
            self.refs = [ref for ref in self.refs if ref() is not None]
            self.pruned_at = max(16, len(self.refs) * self.PRUNE_FACTOR)

    def __iter__(self):
        return (instance for instance in (ref() for ref in list(self.refs)) if instance is not None)

    def __len__(self) -> int:
        return sum(1 for _ in self)
