from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "glabella.inventory"
    label = "inventory"
    verbose_name = "Stock"

    def ready(self) -> None:
        # Once a minute the scheduler closes vials past their time after reconstitution or of
        # an expired lot, and writes their units off.
        from glabella.inventory.services import write_off_expired
        from glabella.messaging.delivery import register_periodic

        register_periodic("vials_written_off", write_off_expired)
